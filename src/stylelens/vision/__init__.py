"""Reading shopper photos: decode, find the garment, name its colours, embed it (ONNX Runtime, no torch)."""
