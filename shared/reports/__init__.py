"""Reports: the pure arithmetic of each report type (``sales``, ``inventory``, ``export``), what a
business day is (``days``) and the renderers that turn figures into files (``render``). No I/O."""
