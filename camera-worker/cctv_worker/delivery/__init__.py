"""Getting alerts to the backend without losing or duplicating any: the on-disk spool, the HTTP
client (the only module that talks to the backend), and the sender thread that connects them."""
