

app_name = "planning"  # the navigation's "Plans" entry (org.context_processors) names it
urlpatterns = []
