"""The API's schema hooks (the error responses and links every operation documents). The error
shape itself and the API's 404 are core.api's `exception_handler` and `not_found`."""

ERROR_STATUSES = {
    "400": "Invalid input: `errors` names the fields.",
    "401": "No or bad credentials.",
    "403": "Your role does not allow this.",
    "404": "No such record in your scope.",
    "429": "Too many requests: wait and retry (see Retry-After).",
}
WRITE_ERROR_STATUSES = {
    "409": "Conflict: locked call, duplicate id with other content, illegal state change.",
    "412": "Stale If-Match: the answer carries the current record.",
}


def error_responses_hook(result, generator, request, public):
    """drf-spectacular post-processing: every operation documents the error shape it can answer
    (`{"detail", "errors"}`), so clients (and the schemathesis test) can rely on it."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "required": ["detail", "errors"],
        "properties": {
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {
                    "oneOf": [
                        {"type": "array", "items": {}},
                        {"type": "object"},
                    ]
                },
                "description": (
                    "Messages per field (`non_field_errors` for the whole input); a list of"
                    " objects (`materials`) answers the messages of each item by its index."
                ),
            },
        },
    }
    reference = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            statuses = dict(ERROR_STATUSES)
            if method in ("post", "put", "patch", "delete"):
                statuses.update(WRITE_ERROR_STATUSES)
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                statuses["415"] = "Unsupported media type: send JSON, a form or multipart."
            for code, description in statuses.items():
                responses.setdefault(code, {"description": description, **reference})
    return result


# Links from a list to a create that takes one of its objects in the body (merged into the rest
# of the body): a customer of the list is one a call may visit, one a plan may target.
BODY_LINKS = {
    ("/api/v1/customers/", "get", "200"): {
        "v1_calls_create": {"customers": ["$response.body#/results/0/id"]},
        "v1_plans_create": {"targets": [{"customer": "$response.body#/results/0/id"}]},
    },
}


def links_hook(result, generator, request, public):
    """drf-spectacular post-processing: OpenAPI links from where an object's id appears to the
    operations on that object. A create (`POST /x/`, 200 or 201) and a list (`GET /x/`, its
    first result) link to every operation of `/x/{id}/` and of its actions (`/x/{id}/submit/`);
    a few lists link to the creates that take their objects (BODY_LINKS). Clients, and the
    stateful schemathesis test, can follow them."""
    paths = result.get("paths", {})
    for collection, operations in paths.items():
        if "{" in collection:
            continue
        targets = [
            operation["operationId"]
            for path, target_operations in paths.items()
            if path.startswith(f"{collection}{{id}}/")
            for operation in target_operations.values()
            if "operationId" in operation
        ]
        sources = [
            ("post", ("201", "200"), "$response.body#/id"),
            ("get", ("200",), "$response.body#/results/0/id"),
        ]
        for method, codes, id_at in sources:
            for code in codes:
                response = operations.get(method, {}).get("responses", {}).get(code)
                if response is None:
                    continue
                links = {
                    operation_id: {"operationId": operation_id, "parameters": {"id": id_at}}
                    for operation_id in targets
                }
                for operation_id, body in BODY_LINKS.get((collection, method, code), {}).items():
                    links[operation_id] = {"operationId": operation_id, "requestBody": body}
                if links:
                    response.setdefault("links", {}).update(links)
    return result
