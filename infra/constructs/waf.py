"""AWS WAF in front of the API's stage: a per-address rate limit on the customers' tracking page (issue 17).

API Gateway's method throttle (``spec.TRACK_THROTTLE``) is one limit for every caller of ``/track``;
this web ACL adds one per client IP, so one address probing order ids and emails is blocked long before it
uses up the routes' shared limit. Everything else passes (the default action is allow): the rest of the API
is authenticated by API key and throttled per channel by the usage plans.

WAF sees the stage's path as called (``/{stage}/track...`` on the execute-api URL). Behind a custom domain
with a base path mapping the path differs: change ``track_path`` then. WAF counts over a 5-minute window
(``evaluation_window_s``) and blocks an address over ``TRACK_LIMIT_PER_5_MIN`` until its rate falls. The
local stack has no WAF: per-address limits exist only in AWS.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra import spec
from infra.constructs.api import Api

TRACK_LIMIT_PER_5_MIN = 100  # requests per client IP in any 5 minutes, to /track and /track/{token}
EVALUATION_WINDOW_S = 300


def track_path(stage: str) -> str:
    """The path prefix WAF sees for the tracking routes on the stage's execute-api URL."""
    return f"/{spec.check_stage(stage)}/track"


class TrackingWaf(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, api: Api, stage: str = spec.PROD_STAGE
    ) -> None:
        super().__init__(scope, construct_id)
        metric = spec.stage_name("oms-api-waf", stage)
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            description="OMS - a per-address rate limit on the customers tracking page",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=False
            ),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="TrackPerAddress",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=TRACK_LIMIT_PER_5_MIN,
                            evaluation_window_sec=EVALUATION_WINDOW_S,
                            aggregate_key_type="IP",
                            scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                                    positional_constraint="STARTS_WITH",
                                    search_string=track_path(stage),
                                    text_transformations=[
                                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                    ],
                                )
                            ),
                        )
                    ),
                    # Sampled requests would keep the path (a link's token) and the query (an email): off.
                    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                        cloud_watch_metrics_enabled=True,
                        metric_name=f"{metric}-track-per-address",
                        sampled_requests_enabled=False,
                    ),
                )
            ],
        )
        stage_resource = api.rest_api.deployment_stage
        self.association = wafv2.CfnWebACLAssociation(
            self,
            "Association",
            resource_arn=(
                f"arn:{Stack.of(self).partition}:apigateway:{Stack.of(self).region}::/restapis/"
                f"{api.rest_api.rest_api_id}/stages/{stage_resource.stage_name}"
            ),
            web_acl_arn=self.web_acl.attr_arn,
        )
        self.association.node.add_dependency(stage_resource)
