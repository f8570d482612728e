"""iambot's configuration: one ``Settings`` object, read once, from the documented environment
variables and ``iambot.toml`` (``settings``, ``files``), and the crontab schedules they name
(``cron``). Every layer may read it; it imports nothing from the layers above it."""
