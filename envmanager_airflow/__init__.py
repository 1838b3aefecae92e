"""Deliver envmanager's connections and variables to Apache Airflow.

`envmanager_airflow.secrets.EnvmanagerSecretsBackend` is an Airflow secrets backend. This package
uses the Python standard library only and never imports Django, so it installs into any Airflow
(2.3+ or 3.x) image: `pip install envmanager` is not needed there, copying this folder is enough.
"""

__version__ = "1.0.0"
