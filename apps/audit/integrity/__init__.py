"""The audit trail's integrity checks as pure Python (no Django): canonical JSON, RFC 6962 Merkle
trees, hash chains with signed checkpoints, and the offline verifier of export bundles. Export
bundles ship these very files, so an auditor verifies with the code the product verifies with."""
