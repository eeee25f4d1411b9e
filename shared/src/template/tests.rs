use super::*;
use crate::assess::{Compliance, RuleParameters};
use crate::controls::{ControlId, Status};

fn verdicts(text: &str, given: &[(&str, &str)]) -> Vec<(String, Evaluation)> {
    let given: Vec<(String, String)> = given
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut facts = read(text, &given).unwrap();
    facts.mark_external_unknown();
    facts
        .evaluate(&RuleParameters::default())
        .into_iter()
        .map(|(e, j)| (format!("{}:{}", j.logical_id, j.line), e))
        .collect()
}

fn status(e: &Evaluation, control: ControlId) -> (Status, String) {
    let f = e.findings.iter().find(|f| f.control == control).unwrap();
    (f.status, f.detail.to_string())
}

const PROTECTED: &str = include_str!("../../../tests/templates/protected.yaml");
const UNPROTECTED: &str = include_str!("../../../tests/templates/unprotected.json");
const UNRESOLVED: &str = include_str!("../../../tests/templates/unresolved.yaml");

fn find<'a>(all: &'a [(String, Evaluation)], logical: &str) -> &'a Evaluation {
    &all.iter()
        .find(|(id, _)| id.split(':').next() == Some(logical))
        .unwrap_or_else(|| {
            panic!(
                "{logical} not judged: {:?}",
                all.iter().map(|a| &a.0).collect::<Vec<_>>()
            )
        })
        .1
}

#[test]
fn a_protected_stack_written_with_every_short_form_passes_every_control() {
    let all = verdicts(PROTECTED, &[]);
    let ids: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    // Logical ids at their lines; the alias, role and policy are read, not judged.
    assert_eq!(ids, ["ArtifactKey:28", "ArtifactBucket:54", "Pipeline:116"]);
    for (id, e) in &all {
        assert_eq!(e.compliance_type, Compliance::Compliant, "{id}: {e:#?}");
        let not_passing: Vec<_> = e
            .findings
            .iter()
            .filter(|f| !matches!(f.status, Status::Pass | Status::NotApplicable))
            .collect();
        assert!(not_passing.is_empty(), "{id}: {not_passing:#?}");
    }
    let pipeline = find(&all, "Pipeline");
    assert_eq!(
        pipeline.compliance_resource_type,
        "AWS::CodePipeline::Pipeline"
    );
    assert_eq!(&*pipeline.compliance_resource_id, "Pipeline");
    // The key is found through the alias the FindInMap named, and it is customer managed.
    assert_eq!(
        status(pipeline, ControlId::PipelineCustomerManagedKey).0,
        Status::Pass
    );
    // The role in the key policy is the pipeline's, by GetAtt: the grant is decided.
    assert_eq!(
        status(pipeline, ControlId::PipelineKeyGrants).0,
        Status::Pass
    );
}

#[test]
fn conditions_and_parameters_change_the_verdict() {
    // Environment=test: Both is false, so versioning is Suspended (an advisory control).
    let all = verdicts(PROTECTED, &[("Environment", "test")]);
    let bucket = find(&all, "ArtifactBucket");
    assert_eq!(status(bucket, ControlId::BucketVersioning).0, Status::Fail);
    assert_eq!(bucket.compliance_type, Compliance::Compliant);
    // A value outside AllowedValues, or a parameter the template does not take, is refused.
    for (name, value, words) in [
        ("Environment", "dev", "not one of its AllowedValues"),
        ("Nope", "x", "declares no such parameter"),
        ("AWS::AccountId", "12", "not an account id"),
    ] {
        let e = read(PROTECTED, &[(name.into(), value.into())]).unwrap_err();
        assert!(e.to_string().contains(words), "{name}: {e}");
        assert!(e.to_string().contains(name), "{name}: {e}");
    }
}

#[test]
fn an_unprotected_stack_fails_each_control_it_breaks_with_the_place() {
    let all = verdicts(UNPROTECTED, &[("AWS::AccountId", "111122223333")]);
    let key = find(&all, "SigningKey");
    assert_eq!(key.compliance_type, Compliance::NonCompliant);
    assert_eq!(status(key, ControlId::KeySymmetric).0, Status::Fail);
    // An asymmetric key cannot rotate: the control does not apply.
    assert_eq!(status(key, ControlId::KeyRotation).0, Status::NotApplicable);
    let loose = find(&all, "LooseBucket");
    assert_eq!(status(loose, ControlId::BucketSseKms).0, Status::Fail);
    assert_eq!(
        status(loose, ControlId::BucketDenyUnencryptedUploads).0,
        Status::Pass
    );
    assert_eq!(
        status(loose, ControlId::BucketDenyInsecureTransport).0,
        Status::Fail
    );
    let west = find(&all, "WestBucket");
    // Used by the pipeline, so in scope; no policy at all.
    assert_eq!(status(west, ControlId::BucketKeyUsable).0, Status::Fail);
    assert_eq!(
        status(west, ControlId::BucketDenyInsecureTransport).0,
        Status::Fail
    );
    let pipeline = find(&all, "Pipeline");
    assert_eq!(pipeline.compliance_type, Compliance::NonCompliant);
    let (s, detail) = status(pipeline, ControlId::PipelineNoUrlCredentials);
    assert_eq!(s, Status::Fail, "{detail}");
    assert!(detail.contains("configuration Url"), "{detail}");
    assert!(
        !detail.contains("hunter2"),
        "no secret in a finding: {detail}"
    );
    let (s, detail) = status(pipeline, ControlId::PipelineNoPlaintextSecrets);
    assert_eq!(s, Status::Fail, "{detail}");
    assert!(detail.contains("Password"), "{detail}");
    let (s, detail) = status(pipeline, ControlId::PipelineNoPersonalData);
    assert_eq!(s, Status::Fail, "{detail}");
    assert!(
        detail.contains("owner") && !detail.contains("jane"),
        "{detail}"
    );
    assert_eq!(
        status(pipeline, ControlId::PipelineKeyUsable).0,
        Status::Fail
    );
    // Both stores are read (ArtifactStores): the first failing one is named.
    let (s, detail) = status(pipeline, ControlId::PipelineStoreProtected);
    assert_eq!(s, Status::Fail);
    assert!(detail.contains("loose-artifacts"), "{detail}");
    // Its role is the stack's own account: no cross-account action.
    assert_eq!(
        status(pipeline, ControlId::PipelineCrossAccountCmk).0,
        Status::NotApplicable
    );
}

#[test]
fn what_the_template_does_not_determine_is_unknown_with_its_path() {
    let all = verdicts(UNRESOLVED, &[]);
    let store = find(&all, "Store");
    let (s, detail) = status(store, ControlId::BucketSseKms);
    assert_eq!(s, Status::Unknown, "{detail}");
    assert!(
        detail.contains("Resources.Store.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID")
            && detail.contains("parameter KeyArn has no Default"),
        "{detail}"
    );
    let (s, detail) = status(store, ControlId::BucketDenyInsecureTransport);
    assert_eq!(s, Status::Unknown, "{detail}");
    assert!(
        detail.contains("Resources.StorePolicy.Properties.PolicyDocument")
            && detail.contains("Fn::If Strict"),
        "{detail}"
    );
    let pipeline = find(&all, "Pipeline");
    assert_eq!(pipeline.compliance_type, Compliance::NonCompliant);
    let (s, detail) = status(pipeline, ControlId::PipelineStoreProtected);
    assert_eq!(s, Status::Unknown, "{detail}");
    assert!(
        detail.contains("Resources.Pipeline.Properties.ArtifactStore.Location")
            && detail.contains("Fn::ImportValue shared-artifact-bucket"),
        "{detail}"
    );
    let (s, detail) = status(pipeline, ControlId::PipelineCrossAccountCmk);
    assert_eq!(s, Status::Unknown, "{detail}");
    assert!(detail.contains("--parameters AWS::AccountId="), "{detail}");
    let (s, detail) = status(pipeline, ControlId::PipelineNoUrlCredentials);
    assert_eq!(s, Status::Unknown, "{detail}");
    assert!(
        detail.contains("S3ObjectKey") && detail.contains("parameter Notify"),
        "{detail}"
    );
    // With the values given, every unknown but the import is decided.
    let all = verdicts(
        UNRESOLVED,
        &[
            (
                "KeyArn",
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
            ("Mode", "strict"),
            ("Notify", "team"),
            ("AWS::AccountId", "111122223333"),
        ],
    );
    let store = find(&all, "Store");
    assert_eq!(
        status(store, ControlId::BucketDenyInsecureTransport).0,
        Status::Pass
    );
    let (s, detail) = status(store, ControlId::BucketKeyUsable);
    assert_eq!(s, Status::Unknown, "{detail}");
    assert!(detail.contains("not declared in this template"), "{detail}");
    let pipeline = find(&all, "Pipeline");
    assert_eq!(
        status(pipeline, ControlId::PipelineNoUrlCredentials).0,
        Status::Pass
    );
    // The source action's role is in another account, and the store uses aws/s3.
    assert_eq!(
        status(pipeline, ControlId::PipelineCrossAccountCmk).0,
        Status::Fail
    );
}

#[test]
fn a_custom_store_is_judged_by_what_its_properties_provision() {
    let example = include_str!("../../../examples/pipeline-stack.yaml");
    let all = verdicts(example, &[]);
    let ids: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["ArtifactStore:52", "ArtifactStore:52", "Pipeline:65"]);
    for (id, e) in &all {
        assert_eq!(e.compliance_type, Compliance::Compliant, "{id}: {e:#?}");
    }
    assert_eq!(all[1].1.compliance_resource_type, "AWS::KMS::Key");
    // Without TLS 1.2 and with the AWS managed key, the store is still protected, but the
    // advisory controls say what is missing.
    let store = "Resources:\n  S:\n    Type: Custom::EncryptedArtifactStore\n    Properties:\n      ServiceToken: !ImportValue token\n      UseAwsManagedKey: \"true\"\n      CreateKey: \"false\"\n      EnforceTls12: \"false\"\n";
    let all = verdicts(store, &[]);
    let e = find(&all, "S");
    assert_eq!(e.compliance_type, Compliance::Compliant, "{e:#?}");
    assert_eq!(status(e, ControlId::BucketDenyOldTls).0, Status::Fail);
    assert_eq!(
        status(e, ControlId::BucketCustomerManagedKey).0,
        Status::Fail
    );
    // Properties the provider refuses are named.
    let bad = store.replace("EnforceTls12: \"false\"", "Colour: blue");
    let all = verdicts(&bad, &[]);
    let (s, detail) = status(find(&all, "S"), ControlId::BucketSseKms);
    assert_eq!(s, Status::Unknown);
    assert!(
        detail.contains("Colour") && detail.contains("provider would refuse"),
        "{detail}"
    );
}

#[test]
fn a_resource_whose_condition_is_false_is_not_provisioned() {
    let text = "Parameters:\n  Make: {Type: String, Default: \"no\"}\nConditions:\n  Made: !Equals [!Ref Make, \"yes\"]\nResources:\n  K:\n    Type: AWS::KMS::Key\n    Condition: Made\n    Properties:\n      Tags: [{Key: artifact-guard:artifact-store, Value: \"true\"}]\n";
    assert!(verdicts(text, &[]).is_empty());
    let all = verdicts(text, &[("Make", "yes")]);
    assert_eq!(all.len(), 1);
    assert_eq!(status(&all[0].1, ControlId::KeyRotation).0, Status::Fail);
}

#[test]
fn templates_that_are_not_templates_are_refused_with_the_place() {
    for (text, words) in [
        ("- 1\n", "a mapping with a Resources section"),
        ("Description: x\n", "no Resources section"),
        (
            "Resources:\n  B:\n    Properties: {}\n",
            "Resources.B has no Type",
        ),
        ("Resources: [1]\n", "not a mapping"),
        ("Resources:\n  B: {Type: AWS::S3::Bucket\n", "line"),
    ] {
        let e = read(text, &[]).unwrap_err();
        assert!(e.to_string().contains(words), "{text:?}: {e}");
        assert!(e.to_string().starts_with("line "), "{text:?}: {e}");
    }
}

#[test]
fn intrinsic_functions_evaluate_as_cloudformation_does() {
    let text = r#"
Parameters:
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
  Secret: {Type: String, NoEcho: true}
  Plain: {Type: String, Default: v}
  FromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /x}
Mappings:
  M: {top: {second: found}}
Conditions:
  Yes: !Equals [a, a]
  No: !Not [!Condition Yes]
  Either: !Or [!Condition No, !Condition Yes]
Resources:
  B: {Type: AWS::S3::Bucket}
  K: {Type: AWS::KMS::Key}
  R: {Type: AWS::IAM::Role, Properties: {RoleName: deployer, Path: /ci/}}
"#;
    let root = yaml::parse(text).unwrap();
    let given = vec![("AWS::AccountId".to_owned(), "111122223333".to_owned())];
    let (parameters, pseudo) = super::parameters(&root, &given).unwrap();
    let resources = Resources::of(&root);
    let r = Resolver::new(&root, parameters, pseudo, &resources);
    let eval = |expr: &str| {
        let node = yaml::parse(&format!("X: {expr}\n")).unwrap();
        r.resolve(node.get("X").unwrap())
    };
    let text = |expr: &str| match eval(expr) {
        Resolved::Text(t) => t.to_string(),
        other => panic!("{expr}: {other:?}"),
    };
    assert_eq!(
        text("!Sub 'arn:${AWS::Partition}:s3:::${B}/*'"),
        "arn:aws:s3:::stack-b-generated/*"
    );
    assert_eq!(
        text("!Sub ['${x}-${AWS::Region}', {x: !Ref Plain}]"),
        "v-us-east-1"
    );
    assert_eq!(text("!Sub '${!Literal}-${Plain}'"), "${Literal}-v");
    assert_eq!(
        text("!GetAtt K.Arn"),
        "arn:aws:kms:us-east-1:111122223333:key/K"
    );
    assert_eq!(
        text("!GetAtt R.Arn"),
        "arn:aws:iam::111122223333:role/ci/deployer"
    );
    assert_eq!(text("!Sub '${B.Arn}'"), "arn:aws:s3:::stack-b-generated");
    assert_eq!(text("!Join ['-', !Ref Names]"), "a-b-c");
    assert_eq!(text("!Select [2, !Ref Names]"), "c");
    assert_eq!(text("!Select [1, !Split ['/', 'x/y/z']]"), "y");
    assert_eq!(text("!FindInMap [M, top, second]"), "found");
    assert_eq!(text("!If [Either, yes, no]"), "yes");
    assert_eq!(text("!If [No, yes, no]"), "no");
    assert_eq!(text("!Base64 plain"), "plain");
    assert_eq!(text("!Length [1, 2]"), "2");
    assert_eq!(text("!ToJsonString {a: [b]}"), r#"{"a":["b"]}"#);
    assert_eq!(
        text("{'Fn::Join': ['', [a, {'Ref': 'AWS::NoValue'}, b]]}"),
        "ab"
    );
    // A NoEcho parameter arrives masked, as CodePipeline shows it.
    assert_eq!(text("!Ref Secret"), "****");
    for (expr, words) in [
        ("!ImportValue shared", "Fn::ImportValue shared"),
        ("!Ref FromSsm", "Parameter Store"),
        ("!GetAZs ''", "deploy time"),
        ("!Ref Nothing", "no parameter, pseudo parameter or resource"),
        ("!GetAtt Nothing.Arn", "declares no resource Nothing"),
        ("!Select [5, !Ref Names]", "past the end"),
        ("!FindInMap [M, top, other]", "Mappings has no M.top.other"),
        ("!Sub '${Nothing.Arn}'", "declares no resource Nothing"),
    ] {
        match eval(expr) {
            Resolved::Unknown(u) => assert!(u.reason.contains(words), "{expr}: {}", u.reason),
            other => panic!("{expr}: {other:?}"),
        }
    }
}

#[test]
fn two_policies_for_one_bucket_leave_its_policy_undecided() {
    let text = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags: [{Key: artifact-guard:artifact-store, Value: \"true\"}]\n  P1:\n    Type: AWS::S3::BucketPolicy\n    Properties: {Bucket: !Ref B, PolicyDocument: {Statement: []}}\n  P2:\n    Type: AWS::S3::BucketPolicy\n    Properties: {Bucket: !Ref B, PolicyDocument: {Statement: []}}\n";
    let all = verdicts(text, &[]);
    let (s, detail) = status(find(&all, "B"), ControlId::BucketDenyInsecureTransport);
    assert_eq!(s, Status::Unknown);
    assert!(detail.contains("Resources.P1 and Resources.P2"), "{detail}");
}

#[test]
fn a_language_extensions_loop_is_listed_not_judged_nor_refused() {
    let text = "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Buckets:\n    - Name\n    - [a, b]\n    - ${Name}Bucket: {Type: AWS::S3::Bucket}\n  K: {Type: AWS::KMS::Key, Properties: {Tags: [{Key: artifact-guard:artifact-store, Value: \"true\"}]}}\n";
    let facts = read(text, &[]).unwrap();
    assert_eq!(facts.unexpanded, ["Fn::ForEach::Buckets"]);
    assert_eq!(facts.judged.len(), 1);
}
