"""The trial operations web app: a Django project with one app per clinical area.

See docs/web.md for the layout, the names other apps use and how an app plugs itself in.
"""
