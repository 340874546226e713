# Sourced by the test and demo scripts: tools from the project's venv, and an
# environment that can never reach a real AWS account.
export PATH="$root/.venv/bin:$PATH"
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_SESSION_TOKEN=testing
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ENDPOINT_URL
export MOTO_SERVER="$root/.venv/bin/moto_server"
export CARGO_LAMBDA="$root/.venv/bin/cargo-lambda"
