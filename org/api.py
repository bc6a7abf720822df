"""REST API v1 of the organisation, and the base every scoped endpoint shares."""

from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core import sync
from core.api import HistoryMixin, VersionedMixin

from . import lockout, services
from .authentication import DeviceTokenAuthentication
from .models import Absence, ApiToken, District, Product, Region, Role, Team, Territory, User


class RoleCanWrite(permissions.BasePermission):
    """Reading needs a login; writing needs one of the view's `write_roles` (admins always)."""

    message = _("Your role cannot change this.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return user.is_admin or user.role in view.write_roles


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference that must be in the caller's scope (`Model.objects.for_user`)."""

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.all())  # the model, for the OpenAPI schema
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.for_user(self.context["request"].user)


class ScopedViewSet(VersionedMixin, viewsets.ModelViewSet):
    """Lists and objects come from the model's `for_user()`: out of scope answers 404.

    Writes run in one transaction; deletes are not offered (records end by dates or flags).
    A record with a `version` answers with its `ETag`; `PUT`/`PATCH` honour `If-Match` (412
    with the current record when stale, compared under the row lock: core.api).
    """

    model = None
    write_roles: frozenset = frozenset()
    select_related: tuple = ()
    prefetch_related: tuple = ()
    permission_classes = [RoleCanWrite]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return (
            self.model.objects.for_user(self.request.user)
            .select_related(*self.select_related)
            .prefetch_related(*self.prefetch_related)
        )

    @transaction.atomic
    def perform_create(self, serializer):
        serializer.save()

    @transaction.atomic
    def perform_update(self, serializer):
        super().perform_update(serializer)


SYNCED = ("id", "version", "created_at", "updated_at")


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = (*SYNCED, "name", "name_en", "code", "manager")

    def create(self, validated_data):
        return services.region_save(region=Region(), **validated_data)

    def update(self, instance, validated_data):
        return services.region_save(region=instance, **validated_data)


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = (*SYNCED, "name", "name_en", "code", "region", "dm")

    def create(self, validated_data):
        return services.district_save(district=District(), **validated_data)

    def update(self, instance, validated_data):
        return services.district_save(district=instance, **validated_data)


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = (*SYNCED, "name", "name_en", "code", "is_active")

    def create(self, validated_data):
        return services.product_save(product=Product(), **validated_data)

    def update(self, instance, validated_data):
        return services.product_save(product=instance, **validated_data)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = (
            *SYNCED,
            "name",
            "name_en",
            "code",
            "products",
            "call_rate_target",
            "pims_per_week",
        )

    def create(self, validated_data):
        return services.team_save(team=Team(), **validated_data)

    def update(self, instance, validated_data):
        return services.team_save(team=instance, **validated_data)


class TerritorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = (*SYNCED, "name", "name_en", "code", "team", "district", "rep")

    def create(self, validated_data):
        """Through the services: a rep only by the handover, which keeps who held it when."""
        return services.territory_create(**validated_data)

    def update(self, instance, validated_data):
        return services.territory_update(territory=instance, **validated_data)


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}
    )

    class Meta:
        model = User
        fields = (
            "id",
            "version",
            "username",
            "password",
            "name",
            "name_en",
            "email",
            "role",
            "language",
            "is_active",
            "registration_number",
            "registration_status",
            "registration_valid_from",
            "registration_valid_to",
        )
        read_only_fields = ("version",)

    def create(self, validated_data):
        """Through the services: a password is checked (a refused one saves nothing)."""
        return services.user_create(**validated_data)

    def update(self, instance, validated_data):
        return services.user_update(user=instance, **validated_data)


class AbsenceSerializer(serializers.ModelSerializer):
    rep = ScopedPrimaryKeyRelatedField(User, required=False)

    class Meta:
        model = Absence
        fields = (*SYNCED, "rep", "date_from", "date_to", "reason", "note")

    def create(self, validated_data):
        """Through the services: a rep records their own absences."""
        return services.absence_create(by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return services.absence_update(
            absence=instance, by=self.context["request"].user, **validated_data
        )


class RegionViewSet(ScopedViewSet):
    model = Region
    serializer_class = RegionSerializer


class DistrictViewSet(ScopedViewSet):
    model = District
    serializer_class = DistrictSerializer


class ProductViewSet(ScopedViewSet):
    model = Product
    serializer_class = ProductSerializer


class TeamViewSet(ScopedViewSet):
    model = Team
    serializer_class = TeamSerializer
    prefetch_related = ("products",)


class TerritoryViewSet(ScopedViewSet):
    model = Territory
    serializer_class = TerritorySerializer


class UserViewSet(HistoryMixin, ScopedViewSet):
    """Provisioning from HR / SSO: admins only."""

    model = User
    serializer_class = UserSerializer

    def get_permissions(self):
        return [permissions.IsAuthenticated(), IsAdmin()]

    def get_queryset(self):
        # Paged like every list (API.md), in the order of creation (the primary key).
        return User.objects.all()


class IsAdmin(permissions.BasePermission):
    message = _("Only admins may do this.")

    def has_permission(self, request, view):
        return request.user.is_admin


class AbsenceViewSet(ScopedViewSet):
    model = Absence
    serializer_class = AbsenceSerializer
    write_roles = frozenset({Role.REP})
    select_related = ("rep",)


class MeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "name": serializers.CharField(),
                "name_en": serializers.CharField(),
                "display_name": serializers.CharField(),
                "role": serializers.ChoiceField(Role.choices),
                "language": serializers.CharField(),
                "territories": serializers.ListField(child=serializers.UUIDField()),
                "district": serializers.UUIDField(allow_null=True),
            },
        )
    )
    def get(self, request):
        user = request.user
        territories = Territory.objects.for_user(user)
        if user.role == Role.REP:
            district = District.objects.filter(territories__rep=user).first()
        elif user.role == Role.DM:
            district = District.objects.filter(dm=user).first()
        else:
            district = None
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "name": user.name or user.get_full_name() or user.username,
                "name_en": user.name_en,
                "display_name": user.display_name,
                "role": Role.ADMIN if user.is_admin else user.role,
                "language": user.language,
                "territories": [str(pk) for pk in territories.values_list("pk", flat=True)],
                "district": str(district.pk) if district else None,
            }
        )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    device = serializers.CharField(required=False, allow_blank=True, max_length=100)


class TokenView(APIView):
    """`POST` username and password for a new device token; `DELETE` revokes the token used."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [permissions.AllowAny]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer("Token", {"token": serializers.CharField()}),
        description=_(
            "After too many failed attempts for one username from one address the endpoint "
            "answers 429 (see Retry-After) until the cool-off has passed."
        ),
    )
    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        # The lock-out (django-axes) watches this call: it counts failures per username and
        # client address and refuses a locked-out pair even with the right password.
        user = authenticate(
            request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise exceptions.Throttled(
                wait=lockout.cool_off_minutes() * 60, detail=lockout.message()
            )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with these credentials.")]}
            )
        # A token is a login: the failure count resets and last_login is stamped.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token = services.api_token_create(user=user, device=form.validated_data.get("device", ""))
        return Response({"token": token.key}, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            return Response(
                {
                    "detail": _("Send the token to revoke in the Authorization header."),
                    "errors": {},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        services.api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(
        help_text=_("The token this request was made with.")
    )
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ApiToken
        fields = ("id", "user", "username", "device", "created_at", "last_used_at", "current")
        read_only_fields = fields

    def get_current(self, token) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class ApiTokenViewSet(viewsets.ReadOnlyModelViewSet, viewsets.mixins.DestroyModelMixin):
    """The devices signed in with a token: one's own (admins: everybody's). `DELETE` revokes
    one; the device must log in again. (The key itself is shown only once, at login.)"""

    serializer_class = ApiTokenSerializer
    filterset_fields = {"user": ["exact"]}

    def get_queryset(self):
        return ApiToken.objects.for_user(self.request.user).select_related("user")

    def perform_destroy(self, instance):
        services.api_token_revoke(token=instance)


# Synced by core.sync (`GET /api/v1/sync/`, core.api.SyncView).

sync.register("regions", RegionViewSet)
sync.register("districts", DistrictViewSet)
sync.register("products", ProductViewSet)
sync.register("teams", TeamViewSet)
sync.register("territories", TerritoryViewSet)
sync.register("absences", AbsenceViewSet)
