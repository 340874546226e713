#!/usr/bin/env python3
"""moto_server for the test suites, with two changes:

1. The IAM service-specific credential calls moto 5.2.5 lacks
   (CreateServiceSpecificCredential, ListServiceSpecificCredentials,
   UpdateServiceSpecificCredential, DeleteServiceSpecificCredential; moto answers
   them with an HTML 500). Offboarding lists them and sets each Inactive, so the
   integration tests need them. Kept in memory per account and user, shaped like
   IAM's answers (IAM API Reference).
2. With MOTO_IAM_LOAD_MANAGED_POLICIES=true (which Moto::start sets), only the AWS
   managed policy the function uses, AWSDenyAll, is loaded instead of all of
   them: the full set makes /moto-api/data.json 4.5 MB and 4 s per read, and the
   tests read it after most steps.

Everything else is moto as it is.

Usage: the same arguments as moto_server (crates/test-support starts it).
"""

import datetime
import json
import secrets
import sys

import moto.iam.models

from moto.core.responses import ActionResult, EmptyResult
from moto.iam.exceptions import NotFoundException
from moto.iam.responses import IamResponse
from moto.server import main

# The AWS managed policies the function attaches (offboarding: AWSDenyAll).
USED_AWS_POLICIES = ["AWSDenyAll"]
_all = json.loads(moto.iam.models.aws_managed_policies_data)
moto.iam.models.aws_managed_policies_data = json.dumps({name: _all[name] for name in USED_AWS_POLICIES})

# (account id, user name) -> list of credentials (dicts in IAM's shape)
CREDENTIALS: dict[tuple[str, str], list[dict]] = {}


def _credentials(self: IamResponse) -> list[dict]:
    name = self._get_param("UserName")
    self.backend.get_user(name)  # NoSuchEntity for an unknown user, as IAM answers
    return CREDENTIALS.setdefault((self.current_account, name), [])


def _find(self: IamResponse) -> dict:
    wanted = self._get_param("ServiceSpecificCredentialId")
    for credential in _credentials(self):
        if credential["ServiceSpecificCredentialId"] == wanted:
            return credential
    raise NotFoundException(f"No such credential {wanted}")


def create_service_specific_credential(self: IamResponse) -> ActionResult:
    name = self._get_param("UserName")
    credential = {
        "CreateDate": datetime.datetime.now(datetime.timezone.utc),
        "ServiceName": self._get_param("ServiceName"),
        "ServiceUserName": f"{name}-at-{self.current_account}",
        "ServicePassword": secrets.token_urlsafe(30),
        "ServiceSpecificCredentialId": "ACCA" + secrets.token_hex(8).upper(),
        "UserName": name,
        "Status": "Active",
    }
    _credentials(self).append(credential)
    return ActionResult({"ServiceSpecificCredential": credential})


def list_service_specific_credentials(self: IamResponse) -> ActionResult:
    listed = [{k: v for k, v in c.items() if k != "ServicePassword"} for c in _credentials(self)]
    return ActionResult({"ServiceSpecificCredentials": listed})


def update_service_specific_credential(self: IamResponse) -> EmptyResult:
    _find(self)["Status"] = self._get_param("Status")
    return EmptyResult()


def delete_service_specific_credential(self: IamResponse) -> EmptyResult:
    credential = _find(self)
    _credentials(self).remove(credential)
    return EmptyResult()


for handler in (create_service_specific_credential, list_service_specific_credentials,
                update_service_specific_credential, delete_service_specific_credential):
    setattr(IamResponse, handler.__name__, handler)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
