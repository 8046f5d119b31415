# One image for web, worker and beat: docker-compose.yml gives each its command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    IQTRACK_VAR_DIR=/app/var

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Hashed, compressed static files for whitenoise, collected with the production storage. The
# settings need a secret to load; a throwaway one is used and not kept in the image.
RUN IQTRACK_ENV=production ALLOWED_HOSTS=build IQTRACK_VAR_DIR=/tmp/build-var \
        SECRET_KEY="collectstatic-$(python -c 'import secrets; print(secrets.token_hex(32))')" \
        python manage.py collectstatic --no-input \
    && rm -rf /tmp/build-var

RUN useradd --system --uid 10001 --no-create-home --home-dir /app iqtrack \
    && mkdir -p /app/var \
    && chown iqtrack /app/var
USER iqtrack

EXPOSE 8000
CMD ["gunicorn", "iqtrack.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
