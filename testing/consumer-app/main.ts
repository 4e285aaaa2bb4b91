import { App } from "cdktf";
import { writeMirrorReview } from "harbor-mirror";
import { ClusterStack } from "./cluster-stack";

const app = new App();
const stack = new ClusterStack(app, "cluster");
app.synth();
writeMirrorReview(stack.mirror);
