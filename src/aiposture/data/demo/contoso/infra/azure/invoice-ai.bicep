// AI Services account for the invoice agent, with managed identity and a private endpoint.
param location string = resourceGroup().location

resource invoiceAi 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'contoso-invoice-ai'
  location: location
  kind: 'AIServices'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publicNetworkAccess: 'Disabled'
    disableLocalAuth: true
    customSubDomainName: 'contoso-invoice-ai'
  }
}

resource invoiceDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: invoiceAi
  name: 'invoice-gpt4o-mini'
  properties: {
    model: {
      format: 'OpenAI'
      name: 'gpt-4o-mini'
      version: '2024-07-18'
    }
    raiPolicyName: 'Microsoft.DefaultV2'
  }
}
