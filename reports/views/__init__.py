"""Pages of reports: dashboards (territory, district, region, rep; targets), opportunity
analysis, settings (requirements, recompute jobs) and the rep's Today."""
