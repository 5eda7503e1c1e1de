FROM python:3.11-slim-bookworm AS assets
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && mkdir -p static/vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/ \
 && cp node_modules/@picocss/pico/css/pico.min.css static/vendor/

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
COPY --from=assets /app/static/vendor static/vendor
RUN pip install --no-cache-dir -e . \
 && DJANGO_ENV=production SECRET_KEY=build-only-collectstatic-key ALLOWED_HOSTS=build \
    python manage.py collectstatic --no-input
RUN useradd --create-home ivig
USER ivig
EXPOSE 8000
CMD ["gunicorn", "ivig.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
