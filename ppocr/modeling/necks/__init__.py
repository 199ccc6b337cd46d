"""necks, registered in ppocr.registry.NECKS (scoped by model_type for backbones)."""
