"""CloudFormation's side: the properties, the physical ids, the answer, Create/Update/Delete, and the protocol."""
