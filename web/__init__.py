"""The web: the REST API and the server-rendered pages. Calls engine/ through its face only."""
