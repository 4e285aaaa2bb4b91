import { RolloutStrategy } from "harbor-mirror";

export const rolling = RolloutStrategy.rolling({ batchSize: 3 }); // servers 1 by 1, then agents 3 at a time
export const allAtOnce = RolloutStrategy.parallel();
