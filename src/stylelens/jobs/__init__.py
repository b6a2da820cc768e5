"""Background work (catalog ingestion, outbound webhooks) as jobs on a durable queue, done by workers."""
