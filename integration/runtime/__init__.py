"""The runtime every layer above stands on: configuration, the app's resources (database, Redis, queues), the
embedded Redis, secrets at rest, backoff, durable work items, reconciliation cursors, ids, links and the outbound
HTTP client with its public-address rule. Imports only integration.db."""
