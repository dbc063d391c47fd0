"""Channel providers: one interface per channel kind, implementations picked by name from
:mod:`notify.providers.registry` according to settings."""
