FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 BAIFANG_VAR_DIR=/app/var
WORKDIR /app
# Dependencies first (a layer kept while only the code changes).
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
# Static files are collected into the image; the compiled messages (locale/*/django.mo) are
# committed, so no gettext is needed here. The app runs as an unprivileged user.
RUN python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 10001 --home-dir /app baifang \
    && chown -R baifang /app/var
USER baifang
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=10s --start-period=30s CMD ["python", "bin/healthcheck", "/healthz"]
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
