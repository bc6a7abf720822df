from django.db import migrations

# core.search.text_contains, PostgreSQL only (SQLite searches with LIKE: nothing to do there).
# A word of one or two characters (王, 王伟) is looked up in a GIN index of each searched name's
# characters, `regexp_split_to_array(UPPER(name), '')`; a longer word in a trigram index of the
# name (`UPPER(name) LIKE …`). The customers' trigram index is calls migration 0011's.
INDEXES = [
    ("customer_name_chars", "customers_customer", "name"),
    ("customer_name_en_chars", "customers_customer", "name_en"),
    ("institution_name_chars", "customers_institution", "name"),
    ("institution_name_en_chars", "customers_institution", "name_en"),
    ("department_name_chars", "customers_department", "name"),
    ("department_name_en_chars", "customers_department", "name_en"),
]


TRIGRAM_INDEXES = [
    ("institution_name_trgm", "customers_institution"),
    ("department_name_trgm", "customers_department"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin "
            f"(regexp_split_to_array(UPPER({column}::text), ''))"
        )
    for name, table in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin "
            "(UPPER(name::text) gin_trgm_ops, UPPER(name_en::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, *_table in INDEXES + TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_desk_sort_indexes"),
        ("calls", "0011_pim_index_attendee_name_search"),  # pg_trgm and the customers' index
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
