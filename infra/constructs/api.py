"""The REST API: routes from ``spec.FUNCTIONS``, the authorizer (X-Api-Key or a person's session cookie), the
stage, the per-channel usage plans, problem JSON with the security headers.

Integrations and the authorizer invoke ``Functions.target(fn)``: a SnapStart function's ``live`` alias (the
invoke permissions are on the alias), any other function unqualified."""

from __future__ import annotations

import json

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import description, spec
from infra.constructs.functions import LOG_RETENTION, Functions
from infra.nag import acknowledge
from shared.problems import GATEWAY_PROBLEMS, PROBLEM_JSON
from shared.security_headers import API_HEADERS

API_NAME = "oms-api"  # in a stage: spec.stage_name
THROTTLE_RATE = 100  # requests per second, steady state, for the whole stage
THROTTLE_BURST = 200
# API Gateway sends no Retry-After of its own; a throttled channel gets a token back within a second.
THROTTLED_RETRY_AFTER_S = 1
# The authorizer's answers are not cached, and it has no identity sources (see Api.__init__).
AUTHORIZER_CACHE_TTL = Duration.seconds(0)


# Why a route without the authorizer is public, per route ("METHOD /path") or per function (cdk-nag
# acknowledgments).
PUBLIC_BECAUSE = {
    "GET /health": "a liveness probe for uptime checks that returns no data",
    "GET /swagger": "a redirect to the console's Swagger page (the console signs the person in): no data",
    "POST /session": "signing in: the person's API key is in the body, checked by the function like the "
    "authorizer checks it, and the route is throttled on its own (guessing keys stays slow)",
    "hooks": "Shopify and WooCommerce cannot send an API key: each delivery is authenticated by its HMAC "
    "signature (the connection's secret), checked by the function before anything is written, and the "
    "route is throttled on its own",
    "tracking": "the customers' order tracking page: a customer has no API key; an order opens only with a "
    "KMS-signed link or with its id and the customer's email or postcode, every failure gets the same "
    "answer (no enumeration), it shows no personal data but the city, and the routes are throttled on their "
    "own and per address by the stack's WAF rate rule",
    "console": "the staff console's static files (its page shell, scripts and style): they hold no data "
    "and no secret; every datum a page shows comes from the API's authorized routes, called by the browser "
    "with the person's session",
}


def public_because(fn: description.Function, route: description.Route) -> str | None:
    return PUBLIC_BECAUSE.get(f"{route.method} {route.path}") or PUBLIC_BECAUSE.get(fn.name)


def method_options() -> dict[str, apigw.MethodDeploymentOptions]:
    """Method-level settings of every route with a ``throttle``: its own limits under the stage's, and the
    stage's logging (a method setting replaces the stage's for that method)."""
    return {
        f"{route.path}/{route.method}": apigw.MethodDeploymentOptions(
            throttling_rate_limit=route.throttle.rate_limit,
            throttling_burst_limit=route.throttle.burst_limit,
            metrics_enabled=True,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
        )
        for fn in spec.FUNCTIONS
        for route in fn.routes
        if route.throttle is not None
    }


def _access_log_format() -> apigw.AccessLogFormat:
    """One JSON object per request. No bodies, headers or query strings: they carry personal data."""
    field = apigw.AccessLogField
    return apigw.AccessLogFormat.custom(
        json.dumps(
            {
                "requestId": field.context_request_id(),
                "requestTime": field.context_request_time(),
                "ip": field.context_identity_source_ip(),
                "httpMethod": field.context_http_method(),
                "resourcePath": field.context_resource_path(),
                "status": field.context_status(),
                "responseLength": field.context_response_length(),
                "responseLatency": field.context_response_latency(),
                "integrationLatency": field.context_integration_latency(),
                "integrationError": field.context_integration_error_message(),
                "authorizerError": field.context_authorizer_error(),
                "keyId": field.context_authorizer_principal_id(),  # the key's id, never the key
                "errorType": field.context_error_response_type(),
                "xrayTraceId": field.context_xray_trace_id(),
            }
        )
    )


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Functions,
        stage: str = spec.PROD_STAGE,
        account_role: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stage = stage
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=LOG_RETENTION)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            # The name is what API Gateway's metrics are keyed by (ApiName): one per stage.
            rest_api_name=spec.stage_name(API_NAME, stage),
            description="OMS: one hub for every order, whatever the channel",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The usage plan's API key comes from the authorizer (usageIdentifierKey), never from a header:
            # callers send only their X-Api-Key, and API Gateway applies their channel's plan.
            api_key_source_type=apigw.ApiKeySourceType.AUTHORIZER,
            # Access and execution logs need API Gateway's CloudWatch role, set once per account and region
            # (AWS::ApiGateway::Account): only one stack there may set it (context api_gateway_account_role).
            cloud_watch_role=account_role,
            deploy_options=apigw.StageOptions(
                stage_name=stage,  # the URL says which stage it is: .../prod/, .../staging/
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
                method_options=method_options(),
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=_access_log_format(),
                tracing_enabled=True,
                metrics_enabled=True,
                # Errors only, and never full requests/responses: bodies hold personal data.
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
            ),
        )
        self.rest_api.node.try_remove_child("Endpoint")  # the stack exports it once, as ApiUrl
        # A caller sends an X-Api-Key or a session cookie (oms_session), never necessarily both. API Gateway
        # answers 401 without calling a REQUEST authorizer when any of its identity sources is missing, so
        # listing either would refuse every request made with the other. With no identity source API
        # Gateway calls it on every request; CDK allows an empty list only for an uncached authorizer
        # (results_cache_ttl 0: "At least one Identity Source is required ... if caching is enabled"), and
        # CloudFormation's IdentitySource is optional when caching is off. Not caching is also what the
        # sessions need: a session's CSRF check depends on the method (a cached Allow would answer a POST
        # without the token), sign-out and revocation end a session at once, and the authorizer moves the
        # session's idle expiry. It costs one authorizer call per request (one GetItem for a key, one
        # BatchGetItem for a session).
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "ApiKeyAuthorizer",
            handler=functions.target(spec.AUTHORIZER),
            identity_sources=[],
            results_cache_ttl=AUTHORIZER_CACHE_TTL,
        )
        # CDK writes the empty list as IdentitySource "": leave the property out, as CloudFormation allows.
        authorizer_resource = self.authorizer.node.default_child
        if isinstance(authorizer_resource, apigw.CfnAuthorizer):
            authorizer_resource.add_property_deletion_override("IdentitySource")
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        for fn in spec.FUNCTIONS:
            if fn.routes:
                self._add_routes(fn, functions.target(fn))
        self.usage_plans = {plan.id: self._add_usage_plan(plan) for plan in spec.USAGE_PLANS}
        for type_name, problem in GATEWAY_PROBLEMS.items():
            response_type = apigw.ResponseType.of(type_name)
            # API Gateway takes a static header value between single quotes; the policy's own quotes
            # ('none') stay inside them, as the value is what lies between the first and the last.
            headers = {"Content-Type": f"'{PROBLEM_JSON}'", **{k: f"'{v}'" for k, v in API_HEADERS.items()}}
            if type_name == "THROTTLED":
                headers["Retry-After"] = f"'{THROTTLED_RETRY_AFTER_S}'"
            self.rest_api.add_gateway_response(
                f"Problem{type_name}",
                type=response_type,
                status_code=str(problem.status),
                response_headers=headers,
                # API Gateway fills in $context.requestId; the body is otherwise the local gateway's.
                templates={"application/json": problem.body(request_id="$context.requestId")},
            )
        self._acknowledge()

    @property
    def url(self) -> str:
        return self.rest_api.url

    @property
    def public_url(self) -> str:
        """The stage's invoke URL without the trailing slash (``OMS_PUBLIC_URL``). Built from the API's id
        and the stage's name as written, not from the stage resource: only the RestApi is referenced, so a
        function holding it depends on nothing the deployment depends on (never an API integration:
        ``Function.public_url``)."""
        stack = Stack.of(self)
        return (
            f"https://{self.rest_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}/{self._stage}"
        )

    def _add_usage_plan(self, plan: description.UsagePlan) -> apigw.UsagePlan:
        """One plan per set of limits, on the stage. Its throttle and quota apply to each API key on it
        (one per channel, made by ``infra.keys``), so every channel on the plan has the limits to itself."""
        usage_plan = self.rest_api.add_usage_plan(
            f"{plan.id}UsagePlan",
            description=f"OMS: each channel's own limits ({plan.id})",
            throttle=apigw.ThrottleSettings(
                rate_limit=plan.throttle.rate_limit, burst_limit=plan.throttle.burst_limit
            ),
            quota=(
                apigw.QuotaSettings(limit=plan.quota_per_day, period=apigw.Period.DAY)
                if plan.quota_per_day is not None
                else None
            ),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )
        # Stack-level, named as infra.keys reads it: the plan a channel's API Gateway key goes on.
        CfnOutput(
            Stack.of(self),
            plan.output,
            value=usage_plan.usage_plan_id,
            description=f"Id of the {plan.id} usage plan (python -m infra.keys --endpoint aws reads it)",
        )
        return usage_plan

    def _add_routes(self, fn: description.Function, handler: lambda_.IFunction) -> None:
        # One integration per function; no test-invoke permissions (console "Test" only).
        integration = apigw.LambdaIntegration(handler, proxy=True, allow_test_invoke=False)
        for route in fn.routes:
            resource = self.rest_api.root.resource_for_path(route.path)
            method = resource.add_method(
                route.method,
                integration,
                authorizer=self.authorizer if route.authorized else None,
                # The caller's channel's usage plan applies: the authorizer names its API Gateway key.
                # The routes without the authorizer (/health, the webhooks) have none to name.
                api_key_required=route.authorized,
                authorization_type=(
                    apigw.AuthorizationType.CUSTOM if route.authorized else apigw.AuthorizationType.NONE
                ),
            )
            self.methods[(route.method, route.path)] = method
            self._acknowledge_method(fn, route, method)

    @staticmethod
    def _acknowledge_method(fn: description.Function, route: description.Route, method: apigw.Method) -> None:
        if not route.authorized:
            because = public_because(fn, route)
            if because is None:
                raise ValueError(f"{route.method} {route.path} has no authorizer: say why in PUBLIC_BECAUSE")
            acknowledge(
                method.node.find_child("Resource"),
                "AwsSolutions-APIG4",
                f"{route.method} {route.path} is public on purpose: {because}.",
            )
        acknowledge(
            method.node.find_child("Resource"),
            "AwsSolutions-COG4",
            "Callers are sales channels' systems and members of staff with their own API keys (exchanged "
            "for a session in the console), not Cognito users: every route but /health, signing in, the "
            "/swagger redirect and the webhooks uses the REQUEST authorizer that checks the X-Api-Key header "
            "or the session cookie against the API keys table."
            if route.authorized
            else f"{route.method} {route.path} is public on purpose, with no authorizer at all: "
            f"{public_because(fn, route)}.",
        )

    def _acknowledge(self) -> None:
        cloud_watch_role = self.rest_api.node.try_find_child("CloudWatchRole")
        if cloud_watch_role is not None:
            acknowledge(
                cloud_watch_role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-level CloudWatch Logs role (needed for access and execution "
                "logs) is assumable by API Gateway only; AmazonAPIGatewayPushToCloudWatchLogs is the "
                "policy AWS documents for exactly that role.",
            )
        acknowledge(
            self.rest_api.node.find_child("Resource"),
            "AwsSolutions-APIG2",
            "Requests are validated in the function: Powertools' resolver checks every body, path and "
            "query parameter against pydantic models and answers 400/422 problem JSON, one source of "
            "truth shared with the local stack and the OpenAPI document.",
        )
