# One image for web, worker and beat; compose.yaml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEFPUB_HOME=/var/lib/defpub
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl libmagic1 libpango-1.0-0 \
       libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/defpub defpub

WORKDIR /app
COPY pyproject.toml README.md ./
COPY defpub defpub
COPY search search
COPY review review
COPY templates templates
COPY locale locale
COPY manage.py ./
RUN pip install --no-cache-dir .

USER defpub
EXPOSE 8000
CMD ["gunicorn", "-c", "python:defpub.runtime.gunicorn_config", "defpub.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
