/**
 * Silences the AWS SDK's Node.js-version notice for the local server, the way the SDK provides
 * (aws/aws-sdk-js-v3#7983). On Node 20 every start would otherwise print seven lines saying that
 * SDK releases after the first week of January 2027 need Node 22, before the ready line. The
 * versions pinned in package-lock.json run on Node 20; README.md says which Node versions are
 * supported. Set the variable to `false` to see the notice again.
 *
 * Imported first by main.ts: the SDK reads the variable when the first client is created.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
