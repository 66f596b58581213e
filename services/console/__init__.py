"""The console: web pages for the program manager (and, later, the members' wallet). Stateless:
it reaches the three services only through their public HTTP APIs, with the signed-in
manager's own key."""
