from envmanager.views.home import home

__all__ = ["home"]
