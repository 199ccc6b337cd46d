"""backbones, registered in ppocr.registry.BACKBONES (scoped by model_type for backbones)."""
