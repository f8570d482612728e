"""Hunting in an Organization's history where it lives: Athena over the trail bucket, or a
CloudTrail Lake event data store. The query is composed from the catalog's selection and the
filters a person types (:mod:`bot.hunt.query`, :mod:`bot.hunt.sql`), run and paged by an engine
(:mod:`bot.hunt.athena`, :mod:`bot.hunt.lake`), and each row becomes the record the other readers
produce, for the same assessor."""
