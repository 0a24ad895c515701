"""Graph API error bodies as Meta shapes them: {"error": {message, type, code, error_data, fbtrace_id}}."""
import secrets

# code -> (typical HTTP status, message). Statuses follow shared/whatsapp/errors.json; codes not
# listed answer 400 with a generic message (override with the fault's "status").
KNOWN = {
    0: (401, "AuthException"),
    1: (400, "API Unknown"),
    2: (503, "API Service"),
    4: (400, "API Too Many Calls"),
    100: (400, "Invalid parameter"),
    190: (401, "Invalid OAuth access token - Cannot parse access token"),
    80007: (400, "Rate limit issues"),
    130429: (400, "Rate limit hit"),
    131000: (500, "Something went wrong"),
    131026: (400, "Message Undeliverable"),
    131031: (400, "Account has been locked"),
    131047: (400, "Re-engagement message"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    133010: (400, "Phone number not registered"),
}


def error_body(code, message=None, details=None, type_="OAuthException"):
    status, default_message = KNOWN.get(code, (400, "Fake Graph error"))
    err = {"message": "(#%s) %s" % (code, message or default_message), "type": type_, "code": code,
           "error_data": {"messaging_product": "whatsapp", "details": details or default_message},
           "fbtrace_id": "A" + secrets.token_hex(10)}
    return status, {"error": err}


def server_error_body():
    """What an injected HTTP 500 carries: an error envelope with no code, like a broken edge."""
    return {"error": {"message": "fake_graph: injected HTTP 500", "type": "FakeGraphFault",
                      "fbtrace_id": "A" + secrets.token_hex(10)}}
