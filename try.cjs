const { runUnsafeSimulation } = require("@cloud-copilot/iam-simulate");
const role = "arn:aws:iam::123456789012:role/payments-host-role";
const param = "arn:aws:ssm:eu-central-1:123456789012:parameter/p";
const key = {Version:"2012-10-17",Statement:[{Effect:"Allow",Principal:{AWS:role},Action:["kms:Decrypt"],Resource:"*",Condition:{StringEquals:{"kms:ViaService":"ssm.eu-central-1.amazonaws.com","kms:EncryptionContext:PARAMETER_ARN":param}}}]};
try {
console.log(runUnsafeSimulation({request:{principal:"arn:aws:sts::123456789012:assumed-role/payments-host-role/i-1",action:"kms:Decrypt",resource:{resource:"arn:aws:kms:eu-central-1:123456789012:key/abc",accountId:"123456789012"},contextVariables:{"kms:ViaService":"ssm.eu-central-1.amazonaws.com","kms:EncryptionContext:PARAMETER_ARN":param}},identityPolicies:[],serviceControlPolicies:[],resourceControlPolicies:[],resourcePolicy:key},{}));
} catch (e) { console.log(e.stack) }
