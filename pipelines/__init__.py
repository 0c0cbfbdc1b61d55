"""Item pipelines, one job each, in the order the settings run them:

normalize (100) -> validate (200) -> dedupe (300) -> store (400)
"""
