"""Pages of customers: the customer, institution and department pages, segmentation (thresholds,
reclassification jobs) and the measure import."""
