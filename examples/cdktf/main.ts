/**
 * The CDKTF example app that cdktf.json points at: `npx cdktf synth` writes
 * cdktf.out/stacks/tokenplane-example/cdk.tf.json (no provider download or `cdktf get` needed).
 */
import { App } from "cdktf";
import { TokensStack } from "./stack.js";

const app = new App();
new TokensStack(app, "tokenplane-example");
app.synth();
