"""gunicorn settings for DefPub's web processes: `gunicorn -c python:defpub.runtime.gunicorn_config
defpub.wsgi` (as `manage.py run`, compose.yaml and the image start it).

gunicorn refuses a request line over 4,094 bytes with a bare HTML 414, before Django sees
it: pasted claims in a GET URL got that page. With no limit here, the application answers
instead: a URL over 8,000 bytes on the API or ledger gets a documented 414 problem+json
(defpub/machine_api.py), and the web search can take its own course. Put a proxy in front
with its own limits (docs/operations.md)."""

limit_request_line = 0  # 0: unlimited
# A same-origin Referer carries the whole previous URL; allow one of about 16 KiB.
limit_request_field_size = 16384
