"""Files in and kept: the inbox as districts fill it, and the content-addressed archive of
every original."""
