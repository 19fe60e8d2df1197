"""Learning a site's template from its pages, so blocks every page repeats can be dropped."""
