#!/usr/bin/env bash
# Deploys linecal to AWS in the plan's phases: scripts/deploy.sh STAGE [PHASE...]
#
#   PHASE is any of: infrastructure application migration monitoring (default: all, in order)
#   STAGE is dev, staging, prod, ... : the stack is linecal-STAGE, secrets live under
#   /linecal/STAGE/ in SSM Parameter Store (SecureString), created beforehand.
#
# Environment: GOOGLE_CLIENT_ID (required), PUBLIC_BASE_URL, ALARM_EMAIL, LOG_RETENTION_DAYS,
# AWS_REGION / AWS_PROFILE as usual, DRY_RUN=1 to create change sets without executing them.
# Rollback steps for each phase are in docs/operations.md ("Deploy" and "Rolling back").
set -euo pipefail
cd "$(dirname "$0")/.."

stage="${1:?usage: scripts/deploy.sh STAGE [infrastructure|application|migration|monitoring ...]}"
shift
phases=("$@")
[ ${#phases[@]} -eq 0 ] && phases=(infrastructure application migration monitoring)
[[ "$stage" =~ ^[a-z0-9-]+$ ]] || { echo "STAGE must match ^[a-z0-9-]+\$" >&2; exit 2; }

stack="linecal-${stage}"
: "${GOOGLE_CLIENT_ID:?set GOOGLE_CLIENT_ID (the OAuth client id; not a secret)}"
parameters=(
  "Stage=${stage}"
  "GoogleClientId=${GOOGLE_CLIENT_ID}"
  "LineChannelSecretParam=/linecal/${stage}/line-channel-secret"
  "LineChannelAccessTokenParam=/linecal/${stage}/line-channel-access-token"
  "GoogleClientSecretParam=/linecal/${stage}/google-client-secret"
  "PublicBaseUrl=${PUBLIC_BASE_URL:-}"
  "AlarmEmail=${ALARM_EMAIL:-}"
  "LogRetentionDays=${LOG_RETENTION_DAYS:-30}"
)
execute=()
[ "${DRY_RUN:-0}" = "1" ] && execute=(--no-execute-changeset)

say() { printf '\n== %s: %s\n' "$stack" "$*"; }

# The functions' bundle: their packages and requirements.txt, without tests, caches or venvs.
stage_bundle() {
  rm -rf build/lambda && mkdir -p build/lambda
  cp -r shared services requirements.txt build/lambda/
  find build/lambda -name __pycache__ -prune -exec rm -rf {} +
}

check_secrets() {
  local name
  for name in line-channel-secret line-channel-access-token google-client-secret; do
    aws ssm describe-parameters --parameter-filters "Key=Name,Values=/linecal/${stage}/${name}" \
      --query 'Parameters[0].Name' --output text | grep -q "/linecal/${stage}/${name}" \
      || { echo "missing SSM parameter /linecal/${stage}/${name}" >&2; exit 2; }
  done
}

sam_deploy() {
  sam deploy --template-file .aws-sam/build/template.yaml --stack-name "$stack" \
    --resolve-s3 --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
    --parameter-overrides "${parameters[@]}" --tags "app=linecal" "stage=${stage}" \
    "${execute[@]}" "$@"
}

for phase in "${phases[@]}"; do
  case "$phase" in
    infrastructure)
      # Tables, queues, bus, archive, keys, roles: one template, so this phase and the next
      # are the same deploy; it is run first so a failure here touches no running code.
      say "infrastructure (sam build, validate, deploy)"
      check_secrets
      sam validate --template-file infra/template.yaml --lint
      stage_bundle
      sam build --template-file infra/template.yaml
      sam_deploy
      ;;
    application)
      say "application (functions, after the infrastructure deploy above)"
      [ -d .aws-sam/build ] || { stage_bundle && sam build --template-file infra/template.yaml; }
      sam_deploy
      aws cloudformation describe-stacks --stack-name "$stack" \
        --query 'Stacks[0].Outputs[?OutputKey==`WebhookUrl` || OutputKey==`OAuthCallbackUrl`]' \
        --output table
      ;;
    migration)
      say "migration (check, backup, staged, full, verify)"
      backup_dir="backups/${stack}-$(date -u +%Y%m%dT%H%M%SZ)"
      linecal migrate default-calendars --check --stack-name "$stack"
      linecal migrate default-calendars --backup "$backup_dir" --stack-name "$stack"
      linecal migrate default-calendars --limit 5 --stack-name "$stack" \
        --checkpoint "${backup_dir}/checkpoint.json"
      linecal migrate default-calendars --stack-name "$stack" \
        --checkpoint "${backup_dir}/checkpoint.json"
      linecal migrate default-calendars --verify --stack-name "$stack" \
        --missing-out "${backup_dir}/missing-users.txt"
      echo "backup and checkpoint kept in ${backup_dir}"
      ;;
    monitoring)
      say "monitoring (alarms and their state)"
      # Alarms without a fixed name are named <stack>-<LogicalId>-<suffix> by CloudFormation.
      aws cloudwatch describe-alarms --alarm-name-prefix "$stack" \
        --query 'MetricAlarms[].[AlarmName,StateValue]' --output table
      linecal dlq list --stack-name "$stack"
      ;;
    *)
      echo "unknown phase $phase" >&2
      exit 2
      ;;
  esac
done
say "done: ${phases[*]}"
