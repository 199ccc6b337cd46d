"""Networks: architectures assemble backbones, necks and heads."""
