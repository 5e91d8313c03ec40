"""The portal's pages and answers: the upload check as a district sees it, read-only
views of the published warehouse, Jinja2 templates (templates/) and static files
(static/). Routes are wired in flows/web.py."""
