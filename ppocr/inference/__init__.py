"""paddle.inference predictors (det, cls, rec, system) used by deploy/."""
