"""Reports: the figures of shared.models.reports and the renderers (shared.reports.render) that write them."""
