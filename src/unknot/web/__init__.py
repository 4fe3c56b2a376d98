"""The web app: the coach in a browser, pages with JSON twins, the player on the phone."""
