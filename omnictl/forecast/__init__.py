"""Demand forecasting: statistical methods vectorised across SKUs (see `methods`)."""
