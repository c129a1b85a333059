"""The S3 actions that matter for exposure, with the access each gives and where it applies.

Source: Service Authorization Reference, "Actions, resources, and condition keys for Amazon
S3" (the resource type each action applies to: ``bucket``, ``object``, ``accesspoint``).
The access kinds are Andon's: read (object data), list (keys), write (create, overwrite or
delete data), read-acl (read who has access), write-acl (change who has access: taking over).
Wildcards in a policy's ``Action`` (``s3:Get*``, ``s3:*Object``, ``*``) are matched against
this catalogue, case-insensitively, as IAM does.
"""

from __future__ import annotations

from andon.core.model import Access

BUCKET = "bucket"
OBJECT = "object"

# action → (access, resource level)
S3_ACTIONS: dict[str, tuple[Access, str]] = {
    # reading object data
    "s3:GetObject": (Access.READ, OBJECT),
    "s3:GetObjectVersion": (Access.READ, OBJECT),
    "s3:GetObjectTorrent": (Access.READ, OBJECT),
    "s3:GetObjectVersionTorrent": (Access.READ, OBJECT),
    "s3:GetObjectAttributes": (Access.READ, OBJECT),
    "s3:GetObjectVersionAttributes": (Access.READ, OBJECT),
    # listing keys
    "s3:ListBucket": (Access.LIST, BUCKET),
    "s3:ListBucketVersions": (Access.LIST, BUCKET),
    "s3:ListBucketMultipartUploads": (Access.LIST, BUCKET),
    "s3:ListMultipartUploadParts": (Access.LIST, OBJECT),
    # writing or destroying data
    "s3:PutObject": (Access.WRITE, OBJECT),
    "s3:DeleteObject": (Access.WRITE, OBJECT),
    "s3:DeleteObjectVersion": (Access.WRITE, OBJECT),
    "s3:AbortMultipartUpload": (Access.WRITE, OBJECT),
    "s3:RestoreObject": (Access.WRITE, OBJECT),
    "s3:PutObjectRetention": (Access.WRITE, OBJECT),
    "s3:PutObjectLegalHold": (Access.WRITE, OBJECT),
    "s3:PutObjectTagging": (Access.WRITE, OBJECT),
    "s3:DeleteObjectTagging": (Access.WRITE, OBJECT),
    "s3:DeleteBucket": (Access.WRITE, BUCKET),
    "s3:PutLifecycleConfiguration": (Access.WRITE, BUCKET),
    "s3:PutBucketVersioning": (Access.WRITE, BUCKET),
    "s3:PutBucketWebsite": (Access.WRITE, BUCKET),
    "s3:DeleteBucketWebsite": (Access.WRITE, BUCKET),
    "s3:PutReplicationConfiguration": (Access.WRITE, BUCKET),
    "s3:PutEncryptionConfiguration": (Access.WRITE, BUCKET),
    "s3:PutBucketCORS": (Access.WRITE, BUCKET),
    "s3:PutBucketLogging": (Access.WRITE, BUCKET),
    "s3:PutBucketNotification": (Access.WRITE, BUCKET),
    "s3:PutBucketTagging": (Access.WRITE, BUCKET),
    # reading who has access
    "s3:GetBucketAcl": (Access.READ_ACL, BUCKET),
    "s3:GetBucketPolicy": (Access.READ_ACL, BUCKET),
    "s3:GetBucketPolicyStatus": (Access.READ_ACL, BUCKET),
    "s3:GetBucketPublicAccessBlock": (Access.READ_ACL, BUCKET),
    "s3:GetBucketOwnershipControls": (Access.READ_ACL, BUCKET),
    "s3:GetObjectAcl": (Access.READ_ACL, OBJECT),
    "s3:GetObjectVersionAcl": (Access.READ_ACL, OBJECT),
    # changing who has access
    "s3:PutBucketAcl": (Access.WRITE_ACL, BUCKET),
    "s3:PutBucketPolicy": (Access.WRITE_ACL, BUCKET),
    "s3:DeleteBucketPolicy": (Access.WRITE_ACL, BUCKET),
    "s3:PutBucketPublicAccessBlock": (Access.WRITE_ACL, BUCKET),
    "s3:PutBucketOwnershipControls": (Access.WRITE_ACL, BUCKET),
    "s3:PutObjectAcl": (Access.WRITE_ACL, OBJECT),
    "s3:PutObjectVersionAcl": (Access.WRITE_ACL, OBJECT),
}

# Lower-cased lookups for wildcard matching.
S3_ACTIONS_LOWER: dict[str, str] = {a.lower(): a for a in S3_ACTIONS}
