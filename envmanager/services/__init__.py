"""Business rules: every change to envmanager's data goes through a function in this package."""
