"""heads, registered in ppocr.registry.HEADS (scoped by model_type for backbones)."""
