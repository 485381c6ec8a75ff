import { Module } from '@nestjs/common';
import { UsageRecorder } from './usage.recorder.js';
import { UsageStore } from './usage.store.js';

@Module({ providers: [UsageStore, UsageRecorder], exports: [UsageStore, UsageRecorder] })
export class UsageModule {}
