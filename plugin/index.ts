import { jwtVerify } from 'jose';
export const Name = 'okta-jwt';
export const x = typeof jwtVerify;
